/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The fuzz targets' own mutator, for runs without libFuzzer: a fixed random sequence unless seeded. */
void fuzz_seed(uint64_t seed);
uint64_t fuzz_next(void);
/* Mutates buf (len bytes, room for cap) in place with characters parsers care about; returns the new length. */
size_t fuzz_mutate(uint8_t *buf, size_t len, size_t cap);
