"""Router-side fix, loaded into the router's own virtualenv by ``make router`` (a ``.pth`` hook).

autobahn's Twisted WebSocket protocol asks for TCP_NODELAY before it has copied its options
from the factory, so the call fails silently and Crossbar's sockets keep Nagle's algorithm.
With a lockstep bus (a tick, then every device's answer, then the settlement) Nagle meets the
peer's delayed ACK and each small frame waits about 40 ms. This sets TCP_NODELAY on every TCP
connection the router accepts.
"""

import socket


def _install() -> None:
    from twisted.internet import tcp

    original_init = tcp.Server.__init__
    if getattr(original_init, "_homesim_nodelay", False):
        return

    def init_with_nodelay(self, sock, *args, **kwargs):
        original_init(self, sock, *args, **kwargs)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not a TCP socket (e.g. a Unix socket)

    init_with_nodelay._homesim_nodelay = True
    tcp.Server.__init__ = init_with_nodelay


try:
    _install()
except ImportError:  # a venv without Twisted: nothing to fix
    pass
