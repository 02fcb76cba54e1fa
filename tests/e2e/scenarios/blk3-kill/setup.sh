# The disk of this scenario's own VM says IDLE: that guest only waits (see guest.sh).
rm -f /tmp/khyve-e2e-idle.img
{ printf IDLE; head -c 1048572 /dev/zero; } > /tmp/khyve-e2e-idle.img
