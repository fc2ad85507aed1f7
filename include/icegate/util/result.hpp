// A value or a std::error_code: the return type of every data-plane parser (no exceptions there).
#pragma once

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace icegate {

template <class T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(std::error_code ec) : v_(std::in_place_index<1>, ec) { assert(ec); }
    template <class E, std::enable_if_t<std::is_error_code_enum_v<E>, int> = 0>
    result(E e) : result(std::error_code(make_error_code(e))) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    // Reading the value of an error is a programming error: asserted, never thrown.
    T& value() & noexcept { return *checked(); }
    const T& value() const& noexcept { return *checked(); }
    T&& value() && noexcept { return std::move(*checked()); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    std::error_code error() const noexcept {
        return has_value() ? std::error_code() : std::get<1>(v_);
    }

private:
    T* checked() noexcept {
        assert(has_value());
        return std::get_if<0>(&v_);
    }
    const T* checked() const noexcept {
        assert(has_value());
        return std::get_if<0>(&v_);
    }

    std::variant<T, std::error_code> v_;
};

} // namespace icegate
