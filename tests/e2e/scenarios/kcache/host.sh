# boot.kernel_cache: the first boot unpacks the kernel on the host and stores it, the next
# one loads the stored entry as it is, a damaged entry is replaced, and a cache directory
# that others may write to is refused (the guest then unpacks its kernel itself); the
# stored entry, an ELF vmlinux, boots given as boot.kernel. The VMs
# run here, with this scenario's command line and the cache; the scenario's own VM (no
# cache) waits and is killed at the end.
pid=$1 console=$2
c=/tmp/khyve-e2e-kcache
rm -rf $c
i=0
while ! grep -q IDLE-VM "$console" 2>/dev/null; do
	sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && exit 1
done
boot() { # NAME [KERNEL]: one VM with the cache, or with KERNEL and no cache; prints its
	# exit status, who unpacked its kernel, the entries
	n=$1
	edit="s|-o boot.kernel=|-o boot.kernel_cache=$c -o boot.kernel=|"
	[ -n "$2" ] && edit="s|-o boot.kernel=[^ ]*|-o boot.kernel=$2|"
	eval "set -- $(sed "s| khyve.idle||; $edit" "$E2E_ARGS")"
	"$E2E_KHYVE" "$@" < /dev/null > /tmp/kc-$n.con 2> /tmp/kc-$n.err
	rc=$?
	echo "$n: rc=$rc $(grep -o 'KERNEL-UNPACKED-BY=[a-z]*' /tmp/kc-$n.con) entries=$(ls $c | grep -c '^vmlinux-')"
	sed "s/^/$n: stderr: /" /tmp/kc-$n.err
	grep -q KHYVE-GUEST-END /tmp/kc-$n.con || tail -5 /tmp/kc-$n.con
}
entry() { ls $c/vmlinux-* 2>/dev/null | head -1; }
ident() { ls -il "$(entry)" | awk '{ print $1, $6 }'; }

boot cold
[ "$(stat -c %a $c)" = 700 ] && echo "cache directory created, mode 700"
first=$(ident)
boot warm
[ -n "$first" ] && [ "$(ident)" = "$first" ] && echo "WARM-HIT: the stored entry was loaded, not rewritten"
printf 'JUNK' | dd of="$(entry)" bs=4 count=1 conv=notrunc 2>/dev/null
boot damaged
[ "$(head -c 4 "$(entry)" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && [ "$(ident)" != "$first" ] &&
	echo "DAMAGED-REPLACED: a new entry, an ELF image again"
# the stored entry is an ELF vmlinux: it boots as boot.kernel itself
boot elf "$(entry)"
chmod 777 $c
boot refused
kill -KILL $pid
