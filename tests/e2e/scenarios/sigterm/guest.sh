# Wait for the ACPI power button, as a system's power-key handler would.
ev=
for n in /sys/class/input/*/name; do
	if [ "$(cat "$n")" = "Power Button" ]; then ev=/dev/input/$(ls "$(dirname "$n")" | grep '^event' | head -1); fi
done
echo "BUTTON=${ev:-none}"
echo READY
[ -n "$ev" ] && dd if="$ev" bs=24 count=1 of=/dev/null 2>/dev/null && echo POWER-BUTTON
poweroff -f
