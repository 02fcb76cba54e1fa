# Two blank 128 MiB disks: one with one queue, one with four.
rm -f /tmp/khyve-e2e-fio1.img /tmp/khyve-e2e-fio4.img
truncate -s 128M /tmp/khyve-e2e-fio1.img
truncate -s 128M /tmp/khyve-e2e-fio4.img
