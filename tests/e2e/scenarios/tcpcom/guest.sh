# COM2 is a TCP backend: echo back what the host client sends.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo TCP-READY
read -r line < /dev/ttyS1
echo "TCP-GOT $line"
echo "GUEST-SAYS:$line" > /dev/ttyS1
sleep 1
poweroff -f
