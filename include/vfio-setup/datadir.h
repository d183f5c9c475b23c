/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Files of data/ (board hints, sample machines): from VFIO_SETUP_DATADIR when
 * set, else the source tree the program was built from, else where meson
 * installs them.
 */
int data_path(const char *name, char **ret);
int data_read(const char *name, char **ret);
