/* The OpenSSL GOST engine (Debian libengine-gost-openssl) as a peer of Qoltanba's GOST R 34.10-2015 512:
 * EVP_DigestSign / EVP_DigestVerify with md_gost12_512 over 1 KB on id-tc26-gost-3410-12-512-paramSetA, the same
 * work `benches/peers.rs` measures in Qoltanba. Prints the median microseconds per operation over `rounds` rounds
 * of `n` operations: "sign_us <x> verify_us <y>". Built and run by `cargo bench --bench peers`. */
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200, rounds = 7;
    ENGINE_load_builtin_engines();
    ENGINE *e = ENGINE_by_id("gost");
    if (!e || !ENGINE_init(e)) {
        fprintf(stderr, "no gost engine: install Debian libengine-gost-openssl\n");
        return 2;
    }
    ENGINE_set_default(e, ENGINE_METHOD_ALL);
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(NID_id_GostR3410_2012_512, e);
    EVP_PKEY *key = NULL;
    if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 || EVP_PKEY_CTX_ctrl_str(kctx, "paramset", "A") <= 0 ||
        EVP_PKEY_keygen(kctx, &key) <= 0) {
        fprintf(stderr, "GOST 2012-512 key generation failed\n");
        ERR_print_errors_fp(stderr);
        return 2;
    }
    const EVP_MD *md = ENGINE_get_digest(e, NID_id_GostR3411_2012_512);
    if (!md) {
        fprintf(stderr, "no md_gost12_512\n");
        return 2;
    }
    unsigned char msg[1024], sig[256];
    memset(msg, 0x5a, sizeof msg);
    size_t siglen = sizeof sig;
    double sign[16], verify[16];
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            EVP_MD_CTX *c = EVP_MD_CTX_new();
            siglen = sizeof sig;
            if (EVP_DigestSignInit(c, NULL, md, e, key) <= 0 || EVP_DigestSign(c, sig, &siglen, msg, sizeof msg) <= 0) {
                fprintf(stderr, "sign failed\n");
                return 2;
            }
            EVP_MD_CTX_free(c);
        }
        sign[r] = (now() - t0) / n * 1e6;
        t0 = now();
        for (int i = 0; i < n; i++) {
            EVP_MD_CTX *c = EVP_MD_CTX_new();
            if (EVP_DigestVerifyInit(c, NULL, md, e, key) <= 0 || EVP_DigestVerify(c, sig, siglen, msg, sizeof msg) != 1) {
                fprintf(stderr, "verify failed\n");
                return 2;
            }
            EVP_MD_CTX_free(c);
        }
        verify[r] = (now() - t0) / n * 1e6;
    }
    qsort(sign, rounds, sizeof(double), cmp);
    qsort(verify, rounds, sizeof(double), cmp);
    printf("sign_us %.1f verify_us %.1f\n", sign[rounds / 2], verify[rounds / 2]);
    return 0;
}
