echo PIN-READY
# wait for the host side to look at the vCPU threads, then end
i=0; while [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
poweroff -f
