/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sizes of configured names, paths and secrets: the parent's loader
 * (conf/config.h) fills fields of these sizes and the setup messages
 * (setup.h) carry them to the children.
 */
#ifndef PARSEC_CFG_SIZES_H
#define PARSEC_CFG_SIZES_H

#define CFG_NAME_MAX 64        /* names of providers, key managers, users */
#define CFG_PATH_MAX 108       /* fits sockaddr_un.sun_path with its NUL */
#define CFG_LONGPATH_MAX 4096  /* other file system paths */
#define CFG_SECRET_MAX 256     /* PINs and hierarchy passwords, decoded */
#define CFG_ADMIN_MAX 32
#define CFG_ADMIN_NAME_MAX 256
#define CFG_AUTH_MAX 3         /* one [[authenticator]] per type */
#define CFG_WORKERS_MAX 64     /* processes serving one provider */

#endif
