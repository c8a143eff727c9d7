/* The pod sandbox process: holds the pod's namespaces open, reaps orphaned
 * children (it is PID 1 when the pod shares a PID namespace) and exits on
 * SIGTERM or SIGINT. Built statically so the image needs nothing else. */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

int main(void) {
  struct sigaction term = {0}, child = {0};
  term.sa_handler = on_term;
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGINT, &term, NULL);
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &child, NULL);
  for (;;) pause();
}
