# -f items through QEMU's fw_cfg device, as Linux's qemu_fw_cfg driver shows them.
f=/sys/firmware/qemu_fw_cfg
d=$f/by_name/opt/org.khyve
echo "REV=$(cat $f/rev)"
# a string item carries its terminating NUL, as in bhyve
echo "GREETING=$(tr -d '\000' < $d/greeting/raw) SIZE=$(cat $d/greeting/size)"
echo "BLOB-SIZE=$(cat $d/blob/size)"
sed 's/^/BLOB: /' $d/blob/raw
echo "BLOB-MD5=$(md5sum < $d/blob/raw | cut -d' ' -f1)"
# the directory sorts the names: keys from 32 up in that order
echo "KEYS $(cat $f/by_key/*/name | tr '\n' ' ')"
echo "KEY-BLOB=$(cat $d/blob/key) KEY-GREETING=$(cat $d/greeting/key)"
# The driver writes etc/vmcoreinfo by DMA: refused (every item is read-only), and it
# says so rather than wait forever. Its warning lacks a newline: another message ends it.
echo "fwcfg scenario" > /dev/kmsg
dmesg | grep fw_cfg | sed 's/^/DMESG: /'
dmesg | grep -q 'failed to write vmcoreinfo' && echo "DMA-WRITE-REFUSED"
poweroff -f
