/* Keel's version, printed in every stage's banner and by `version`. */
#ifndef KEEL_ABI_VERSION_H
#define KEEL_ABI_VERSION_H
#define KEEL_VERSION "0.1.0"
#endif
