echo HALTING
halt -f
