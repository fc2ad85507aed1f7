// Room password hashing (libsodium crypto_pwhash, argon2id).
#include "room.hpp"

#include <sodium.h>

namespace icegate::signal {
namespace {

// The hash runs on the event loop of the worker that owns the room, stalling every other
// connection of that worker while it runs, and a join is the one thing a stranger can trigger
// cheaply. So: libsodium's "interactive" time cost and 16 MiB (not its 64 MiB default), a few
// tens of milliseconds; per-IP join rate limits bound how often anyone can make us pay it.
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

} // namespace icegate::signal
