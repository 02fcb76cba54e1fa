# The console on a terminal: a line typed on the host reaches the guest through COM1.
echo "TYPE-A-LINE:"
read -r line
echo "GOT-LINE $line"
poweroff -f
