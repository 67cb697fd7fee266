"""The textbook's threaded TCP echo server: the baseline of `cargo bench --bench echo`.

Written as a student writes it from Kurose & Ross (section 2.7, "Socket
Programming with TCP"), with one thread per connection so that more than one
client can be served:

* one welcoming socket, bound to every interface on the port;
* listen(5): at most a handful of connections may wait for accept(); when
  more arrive at once, the kernel drops them and the clients hang;
* accept() in a loop, and a new thread for each connection socket, which
  echoes what it receives until the client closes.

Nothing is tuned: this is the code the benchmark compares sameport against.

Usage: python3 textbook_server.py PORT
"""

import sys
import threading
from socket import *

serverPort = int(sys.argv[1])
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(5)
print('The server is ready to receive')


def handle(connectionSocket):
    # Echo every message back until the client closes (recv returns b'').
    while True:
        message = connectionSocket.recv(1024)
        if not message:
            break
        connectionSocket.sendall(message)
    connectionSocket.close()


while True:
    connectionSocket, addr = serverSocket.accept()
    threading.Thread(target=handle, args=(connectionSocket,)).start()
