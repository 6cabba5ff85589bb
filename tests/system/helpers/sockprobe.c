/* sockprobe: what the network stack lets the process that runs it do, one
   line per attempt on stdout. The shared-IP tests run it inside jails.

     sockprobe bind ADDR               bind(ADDR:0): the address got, or errno:N
     sockprobe connect ADDR PORT       TCP connect: LOCAL->PEER, or errno:N

   Static: it runs inside busybox jails. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static socklen_t fill(struct sockaddr_storage* ss, const char* ip, int port) {
  memset(ss, 0, sizeof *ss);
  if (strchr(ip, ':')) {
    struct sockaddr_in6* s6 = (struct sockaddr_in6*)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((unsigned short)port);
    if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1) exit(2);
    return sizeof *s6;
  }
  struct sockaddr_in* s4 = (struct sockaddr_in*)ss;
  s4->sin_family = AF_INET;
  s4->sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1) exit(2);
  return sizeof *s4;
}

static const char* text(const struct sockaddr_storage* ss, char* buf, size_t n) {
  if (ss->ss_family == AF_INET)
    return inet_ntop(AF_INET, &((const struct sockaddr_in*)ss)->sin_addr, buf, (socklen_t)n);
  return inet_ntop(AF_INET6, &((const struct sockaddr_in6*)ss)->sin6_addr, buf, (socklen_t)n);
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  struct sockaddr_storage ss, got;
  char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
  const int connect_mode = strcmp(argv[1], "connect") == 0;
  if (connect_mode && argc < 4) return 2;
  socklen_t len = fill(&ss, argv[2], connect_mode ? atoi(argv[3]) : 0);
  int s = socket(ss.ss_family, SOCK_STREAM, 0);
  if (s < 0) {
    printf("errno:%d\n", errno);
    return 0;
  }
  int r = connect_mode ? connect(s, (struct sockaddr*)&ss, len) : bind(s, (struct sockaddr*)&ss, len);
  if (r != 0) {
    printf("errno:%d\n", errno);
    return 0;
  }
  socklen_t gl = sizeof got;
  getsockname(s, (struct sockaddr*)&got, &gl);
  if (!connect_mode) {
    printf("%s\n", text(&got, a, sizeof a));
    return 0;
  }
  struct sockaddr_storage peer;
  socklen_t pl = sizeof peer;
  getpeername(s, (struct sockaddr*)&peer, &pl);
  printf("%s->%s\n", text(&got, a, sizeof a), text(&peer, b, sizeof b));
  return 0;
}
