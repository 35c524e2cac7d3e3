package main

import "syscall"

func syscallGetpgrp() int { return syscall.Getpgrp() }
