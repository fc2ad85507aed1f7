// icegate's entry point: everything is in run_cli().
#include <span>

#include "cli.hpp"

int main(int argc, char** argv) {
    return icegate::app::run_cli(std::span<char*>(argv, argc));
}
