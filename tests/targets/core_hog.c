// core_hog MIB: the core handler tests' large process. Prints "ready", waits for a line on
// stdin, touches MIB MiB of heap (so the core holds them: the kernel dumps every written page),
// then stores through a null pointer in `crash_after_touching` (SIGSEGV/SEGV_MAPERR).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

volatile long sink;
// Null, read at run time: the compiler cannot prove the store below faults and drop it.
long* volatile null_target;

NOINLINE void crash_after_touching(char* memory, size_t bytes) {
  sink = memory[bytes / 2];
  *null_target = (long)bytes;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: core_hog MIB\n");
    return 2;
  }
  size_t bytes = (size_t)atol(argv[1]) << 20;
  printf("ready\n");
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 4;
  char* memory = malloc(bytes);
  if (!memory) return 3;
  memset(memory, 0x5a, bytes);
  crash_after_touching(memory, bytes);
  return 5;
}
