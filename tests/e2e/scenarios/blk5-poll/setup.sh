# One blank 128 MiB disk with two queues, polled by the event loop.
rm -f /tmp/khyve-e2e-poll.img
truncate -s 128M /tmp/khyve-e2e-poll.img
