# After khyve is gone: the read-only image is byte for byte what it was.
pid=$1
i=0
while kill -0 "$pid" 2>/dev/null; do sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && exit 1; done
echo "after: $(md5sum < /tmp/khyve-e2e-ro.img)"
[ "$(md5sum < /tmp/khyve-e2e-ro.img | cut -d' ' -f1)" = 5ec8e6868ffd6907b08c811e8079853a ] && echo RO-UNCHANGED
