// All typed STUN attributes, and get<T>(view): find T's attribute in a message and decode it.
#pragma once

#include "icegate/stun/address_attributes.hpp"
#include "icegate/stun/error_code_attribute.hpp"
#include "icegate/stun/field_attributes.hpp"
#include "icegate/stun/list_attributes.hpp"
#include "icegate/stun/message_view.hpp"
#include "icegate/stun/simple_attributes.hpp"

namespace icegate::stun {

// The first T::type attribute of `m`, decoded; errc::attribute_missing when absent. XOR
// address attributes are unmasked with m's transaction id.
template <class T>
result<T> get(const message_view& m) noexcept {
    const auto a = m.find(T::type);
    if (!a) {
        return errc::attribute_missing;
    }
    if constexpr (requires { T::decode(a->value, m.transaction_id()); }) {
        return T::decode(a->value, m.transaction_id());
    } else {
        return T::decode(a->value);
    }
}

} // namespace icegate::stun
