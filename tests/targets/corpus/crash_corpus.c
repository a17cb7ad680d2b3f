// crash_corpus MODE: the classifier corpus's C crash programs (scripts/gen_crash_corpus.py).
// Prints "ready", waits for a line on stdin (so the generator can add a watch first), then dies
// the way MODE says. Several modes per class, because a class is a kind of bug, not one crash
// site: the model must learn what the bugs of a class share (signal, code, fault class, the
// library frames on top), not one program's function names. Built by the generator with gcc and
// clang at -O0 and -O2 (-fstack-protector-strong, no _FORTIFY_SOURCE), so one mode gives four
// variants that differ in frames, inlining and registers.
//
// Functions are noinline and reached through volatile values so no optimisation level can fold
// a crash away or turn recursion into a loop.
#define _GNU_SOURCE
#undef NDEBUG
#include <assert.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

volatile long sink;
static volatile int zero = 0;
static volatile int minus_one = -1;
static volatile int int_min = INT_MIN;
static volatile size_t overrun = 96;
// Pointers the compiler cannot see through: a NULL or freed pointer it knows about is undefined
// behaviour it may delete (gcc -O2 dropped a store through NULL and a malloc/free pair).
static struct order* volatile no_order = NULL;
static const char* volatile no_name = NULL;

struct order {
  long id;
  char pad[56];
  long total;  // at offset 64: a field read through a NULL pointer faults at 0x40
};

// ---- null_dereference ----
NOINLINE void write_total(struct order* o, long v) { o->total = v; }
NOINLINE long read_id(struct order* o) { return o->id; }
NOINLINE size_t name_length(const char* name) { return strlen(name); }
typedef void (*callback_fn)(int);
static volatile callback_fn null_callback = NULL;
NOINLINE void fire_callback(int v) { null_callback(v); }

// ---- invalid_address ----
NOINLINE void poke(long* where, long v) { *where = v; }
NOINLINE long peek(const long* where) { return *where; }
NOINLINE long read_after_unmap(void) {
  long* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[0] = 1;
  munmap(page, 4096);
  return peek(page);
}
NOINLINE void use_after_free_large(void) {
  // Large enough for glibc to mmap it, so free() unmaps it and the write faults.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);  // fixed, not raised by earlier frees
  long* volatile block = malloc(1 << 20);
  block[0] = 1;
  free(block);
  poke(block + 100, 7);
}
NOINLINE void write_read_only(void) {
  static const long constant_table[4] = {1, 2, 3, 4};
  long* volatile target = (long*)&constant_table[1];
  poke(target, 9);
}
static volatile callback_fn wild_callback = (callback_fn)0xdead0000;
NOINLINE void jump_wild(int v) { wild_callback(v); }

// ---- stack_overflow ----
int recurse(int depth);
static int (*volatile recurse_again)(int) = recurse;
NOINLINE int recurse(int depth) {
  volatile char frame[256];
  frame[0] = (char)depth;
  return recurse_again(depth + 1) + frame[0];
}
int recurse_big(int depth);
static int (*volatile recurse_big_again)(int) = recurse_big;
NOINLINE int recurse_big(int depth) {
  volatile char frame[4096];
  frame[depth % 4096] = (char)depth;
  return recurse_big_again(depth + 1) + frame[7];
}
int ping(int n);
int pong(int n);
static int (*volatile ping_again)(int) = ping;
static int (*volatile pong_again)(int) = pong;
NOINLINE int ping(int n) {
  volatile char frame[128];
  frame[0] = (char)n;
  return pong_again(n + 1) + frame[0];
}
NOINLINE int pong(int n) {
  volatile char frame[64];
  frame[0] = (char)n;
  return ping_again(n + 1) + frame[0];
}

// ---- assertion_failure ----
NOINLINE void check_balance(long balance) {
  long expected = 100;
  assert(balance == expected);
  sink = expected;
}
NOINLINE void check_handle(const void* handle) {
  assert(handle != NULL && "handle must be open");
  sink = (long)handle;
}
NOINLINE void check_index(size_t index, size_t size) {
  assert(index < size);
  sink = (long)index;
}

// ---- heap_corruption ----
NOINLINE void free_twice(void) {
  char* volatile p = malloc(48);
  strcpy(p, "twice");
  free(p);
  free(p);
}
NOINLINE void free_not_heap(void) {
  static char not_heap[64];
  char* volatile p = not_heap + 16;
  free(p);
}
NOINLINE void free_middle(void) {
  char* volatile p = malloc(128);
  char* volatile q = p + 24;
  free(q);
}
NOINLINE void corrupt_chunk_size(void) {
  char* volatile p = malloc(40);
  volatile size_t* header = (size_t*)(p - sizeof(size_t));
  *header = 0x7;  // an impossible chunk size
  free(p);
}
NOINLINE void fastbin_double_free(void) {
  void* volatile keep[7];
  for (int i = 0; i < 7; ++i) keep[i] = malloc(24);
  void* volatile a = malloc(24);
  void* volatile b = malloc(24);
  for (int i = 0; i < 7; ++i) free(keep[i]);  // fill the tcache so a and b go to the fastbin
  free(a);
  free(a);  // a is at the top of the fastbin: "double free or corruption (fasttop)"
  sink = (long)b;
}
NOINLINE void corrupt_top(void) {
  char* volatile p = malloc(24);
  volatile size_t* next = (size_t*)(p + 24);  // the top chunk's size field
  *next = 0x10;
  void* big = malloc(4096);
  sink = (long)big;
}

// ---- stack_smashing ----
NOINLINE void fill_label(const char* text) {
  char label[16];
  for (size_t i = 0; i < overrun; ++i) label[i] = text[i % 4];
  sink = label[3];
}
NOINLINE void copy_record(const char* src) {
  char record[24];
  memcpy(record, src, overrun);
  sink = record[1];
}

// ---- division_by_zero ----
NOINLINE int average(int sum, int count) { return sum / count; }
NOINLINE int bucket_of(int key, int buckets) { return key % buckets; }
NOINLINE long long per_item(long long total, long long items) { return total / items; }
NOINLINE int negate_quotient(int a, int b) { return a / b; }

// ---- illegal_instruction ----
NOINLINE void unreachable_state(int state) {
  if (state != 1) __builtin_trap();
  sink = state;
}
NOINLINE void run_ud2(void) { __asm__ volatile("ud2"); }
NOINLINE void run_ud0(void) { __asm__ volatile(".byte 0x0f, 0xff, 0xc0"); }

// ---- bus_error ----
NOINLINE int truncated_mapping(int write) {
  char path[] = "/tmp/crash_corpus_bus_XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  volatile char* map = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return 1;
  if (write) {
    map[8192] = 1;  // beyond the end of the file: SIGBUS/BUS_ADRERR
  } else {
    sink = map[12288];
  }
  return 0;
}
NOINLINE void misaligned_with_ac(void) {
  static long words[4];
  // Alignment checking on (EFLAGS.AC), then an unaligned load: SIGBUS/BUS_ADRALN.
  __asm__ volatile(
      "pushfq\n\t"
      "orl $0x40000, (%%rsp)\n\t"
      "popfq\n\t"
      "movq 1(%0), %%rax\n\t"
      :
      : "r"(words)
      : "rax", "memory", "cc");
}

// ---- abort ----
NOINLINE void give_up(const char* why) {
  fprintf(stderr, "fatal: %s\n", why);
  abort();
}
NOINLINE void raise_abort(void) { raise(SIGABRT); }

// ---- in a thread ----
typedef void (*thread_body)(void);
static void* thread_main(void* arg) {
  pthread_setname_np(pthread_self(), "corpus_worker");
  ((thread_body)arg)();
  return NULL;
}
static void in_thread(thread_body body) {
  pthread_t t;
  pthread_create(&t, NULL, thread_main, (void*)body);
  pthread_join(t, NULL);
}
static void null_in_thread(void) { write_total(no_order, 3); }
static void recurse_in_thread(void) { sink = recurse(0); }
static void assert_in_thread(void) { check_index(9, 4); }
static void double_free_in_thread(void) { free_twice(); }
static void smash_in_thread(void) { fill_label("XYZW"); }
static void divide_in_thread(void) { sink = average(10, zero); }
static void trap_in_thread(void) { unreachable_state(7); }
static void bus_in_thread(void) { sink = truncated_mapping(1); }
static void abort_in_thread(void) { give_up("worker lost its queue"); }
static void wild_in_thread(void) { poke((long*)0x7e5500001000, 5); }

static void* idle_main(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: crash_corpus MODE\n");
    return 2;
  }
  const char* mode = argv[1];
  pthread_t idle;
  pthread_create(&idle, NULL, idle_main, NULL);  // every crash has another thread to show
  printf("ready\n");
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 4;
#define MODE(name) else if (strcmp(mode, name) == 0)
  if (0) {
  }
  MODE("null_write") write_total(no_order, 100);
  MODE("null_read") sink = read_id(no_order);
  MODE("null_strlen") sink = (long)name_length(no_name);
  MODE("null_call") fire_callback(5);
  MODE("null_thread") in_thread(null_in_thread);
  MODE("wild_write") poke((long*)0xdead0000, 100);
  MODE("wild_read") sink = peek((const long*)0x12345678000);
  MODE("after_unmap") sink = read_after_unmap();
  MODE("use_after_free") use_after_free_large();
  MODE("read_only_write") write_read_only();
  MODE("jump_wild") jump_wild(3);
  MODE("wild_thread") in_thread(wild_in_thread);
  MODE("recurse") sink = recurse(0);
  MODE("recurse_big") sink = recurse_big(0);
  MODE("mutual_recursion") sink = ping(0);
  MODE("recurse_thread") in_thread(recurse_in_thread);
  MODE("assert_eq") check_balance(7);
  MODE("assert_ptr") check_handle(no_order);
  MODE("assert_index") check_index(5, 3);
  MODE("assert_thread") in_thread(assert_in_thread);
  MODE("double_free") free_twice();
  MODE("free_not_heap") free_not_heap();
  MODE("free_middle") free_middle();
  MODE("corrupt_size") corrupt_chunk_size();
  MODE("fastbin_double_free") fastbin_double_free();
  MODE("corrupt_top") corrupt_top();
  MODE("double_free_thread") in_thread(double_free_in_thread);
  MODE("smash_loop") fill_label("ABCD");
  MODE("smash_memcpy") copy_record("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  MODE("smash_thread") in_thread(smash_in_thread);
  MODE("div_int") sink = average(10, zero);
  MODE("mod_int") sink = bucket_of(17, zero);
  MODE("div_long") sink = per_item(1000, zero);
  MODE("div_overflow") sink = negate_quotient(int_min, minus_one);
  MODE("div_thread") in_thread(divide_in_thread);
  MODE("trap") unreachable_state(3);
  MODE("ud2") run_ud2();
  MODE("ud0") run_ud0();
  MODE("trap_thread") in_thread(trap_in_thread);
  MODE("bus_write") sink = truncated_mapping(1);
  MODE("bus_read") sink = truncated_mapping(0);
  MODE("bus_align") misaligned_with_ac();
  MODE("bus_thread") in_thread(bus_in_thread);
  MODE("abort") abort();
  MODE("abort_logged") give_up("configuration missing");
  MODE("raise_abort") raise_abort();
  MODE("abort_thread") in_thread(abort_in_thread);
  MODE("exit3") exit(3);
  MODE("exit1") { fprintf(stderr, "cannot open input\n"); exit(1); }
  else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 5;
}
