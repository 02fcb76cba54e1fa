# A blank 64 MiB disk and a 1 MiB read-only one with known contents.
rm -f /tmp/khyve-e2e-disk.img /tmp/khyve-e2e-ro.img
dd if=/dev/zero of=/tmp/khyve-e2e-disk.img bs=1M count=64 2>/dev/null
yes khyve-read-only | head -c 1048576 > /tmp/khyve-e2e-ro.img
echo "setup: $(md5sum < /tmp/khyve-e2e-ro.img)"
