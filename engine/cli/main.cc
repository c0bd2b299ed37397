#include <cstdio>
int main() { std::puts("herald " HERALD_VERSION); return 0; }
