#include "testutil.h"
int main(void) { return testutil_finish("test_seed_infer"); }
