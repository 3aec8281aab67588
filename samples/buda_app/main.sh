#!/bin/sh
# A BUDA-style app: every file (this script, the worker, the input) is a <copy_file/> in the slot; the
# command line the client gives the wrapper reaches the container as the environment variable ARGS.
exec ./worker $ARGS in out
