// Room password hashing (libsodium crypto_pwhash, argon2id) and the password work a join asks
// for.
#include "room.hpp"

#include <sodium.h>

namespace icegate::signal {
namespace {

// A join is the one thing a stranger can trigger cheaply, and each costs a hash; the hashing
// runs off the workers on a small bounded pool (see net/background_pool.hpp), but that pool is
// shared, so: libsodium's "interactive" time cost and 16 MiB (not its 64 MiB default), about
// 10-15 ms per hash.
constexpr unsigned long long password_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t password_memlimit = 16u * 1024u * 1024u;

} // namespace

bool hash_room_password(const std::string& password, std::string& hash_out) {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), password_opslimit,
                              password_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return false; // out of memory
    }
    hash_out = out;
    return true;
}

bool verify_room_password(const std::string& hash, const std::string& password) {
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

password_verdict run_password_work(const password_work& work) {
    password_verdict v;
    v.op = work.op;
    if (work.op == password_op::verify) {
        v.hash = work.hash;
        v.ok = verify_room_password(work.hash, work.password);
    } else {
        v.ok = hash_room_password(work.password, v.hash);
    }
    return v;
}

} // namespace icegate::signal
