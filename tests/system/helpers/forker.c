/* forker N: tries to start N children that wait, prints how many started
   ("started K"), then ends them all. Under a pids limit some forks fail
   with EAGAIN. Static: it runs inside busybox jails. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  pid_t* kids = calloc((size_t)n, sizeof *kids);
  int started = 0;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      pause();
      _exit(0);
    }
    if (pid > 0) kids[started++] = pid;
  }
  printf("started %d\n", started);
  fflush(stdout);
  for (int i = 0; i < started; ++i) kill(kids[i], SIGKILL);
  for (int i = 0; i < started; ++i) waitpid(kids[i], NULL, 0);
  return 0;
}
