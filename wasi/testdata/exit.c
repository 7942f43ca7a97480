#include <stdlib.h>
#include <stdio.h>
int main(int argc, char **argv) {
  printf("exiting\n");
  exit(argc > 1 ? atoi(argv[1]) : 0);
}
