// exit: 3
// exit() flushes stdio and ends with its code through proc_exit.
#include <stdlib.h>
#include "check.h"

int main(int argc, char **argv) {
  printf("argc %d argv1 %s env %s\n", argc, argv[1], getenv("CONFORMANCE"));
  exit(3);
}
