#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
static void try(const char *p) {
  int fd = open(p, O_RDONLY);
  printf("%s: %d\n", p, fd >= 0 ? 0 : errno);
  if (fd >= 0) close(fd);
}
int main(void) {
  try("../canary");
  try("/../canary");
  try("up");
  try("abs");
  return 0;
}
