/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reads one variable of an os-release(5) style file (shell assignments,
 * values optionally in single or double quotes).  ret is NULL when the
 * variable is not set.
 */
int env_file_get(const char *content, const char *key, char **ret);
