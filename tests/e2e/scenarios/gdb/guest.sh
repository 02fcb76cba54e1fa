# The host debugs this guest twice: at its first instruction (-G w), then while it idles
# here, waiting on COM2 (a TCP backend) for the host to say it is done.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo GDB-GUEST-IDLE
read -r line < /dev/ttyS1
echo "GDB-GUEST-GOT $line"
poweroff -f
