// lmc-startup-floor: the floor of the start-up figure (lmc-startup-bench). A bare C program that
// does the least a runtime must do before it can be given work: read AWS_LAMBDA_RUNTIME_API,
// connect, send `GET /next`. It links only libc, starts no thread and parses nothing; it then
// waits until the API closes the connection or a signal ends it. Whatever a runtime spends above
// this program's time is its own start-up cost.
//
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 lmc-startup-floor
//
// Exit status: 0 when the API closed the connection, 1 when the address is missing or invalid
// or the connection failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  const char* api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == NULL) return 1;
  char host[64];
  const char* colon = strrchr(api, ':');
  if (colon == NULL || (size_t)(colon - api) >= sizeof host) return 1;
  memcpy(host, api, (size_t)(colon - api));
  host[colon - api] = '\0';
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) return 1;

  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (const struct sockaddr*)&address, sizeof address) != 0) return 1;
  char request[256];
  const int length = snprintf(request, sizeof request,
                              "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                              "Host: %s\r\n\r\n",
                              api);
  if (length <= 0 || (size_t)length >= sizeof request) return 1;
  if (send(fd, request, (size_t)length, MSG_NOSIGNAL) != length) return 1;
  char reply[4096];
  while (recv(fd, reply, sizeof reply, 0) > 0) {
  }
  return 0;
}
