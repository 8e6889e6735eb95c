/* minqing-fleet's shared state (fleet.h) and what every part of the fleet
 * draws on it for: the seeded random generator, so that a run with --seed
 * is made again exactly. Imports no other file of the fleet. */
#include <stdint.h>

#include "bench/fleet.h"

double fleet_random(fleet *f)
{
	/* splitmix64: seedable and well spread for weights and jitter. */
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}
