/* alloc MIB: allocates MIB mebibytes and touches every page, so that the
   memory is really used; prints "allocated MIB" and exits 0. Under a memory
   limit smaller than MIB the kernel kills it (exit 137). Static: it runs
   inside busybox jails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  long mib = argc > 1 ? atol(argv[1]) : 64;
  for (long i = 0; i < mib; ++i) {
    char* p = malloc(1 << 20);
    if (!p) {
      printf("malloc failed after %ld MiB\n", i);
      return 1;
    }
    memset(p, 1, 1 << 20);
  }
  printf("allocated %ld\n", mib);
  return 0;
}
