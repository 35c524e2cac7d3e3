// abi_header.cpp -- porter.h compiled as C++11 (see abi_header.c).
#include "abi_header.c"
