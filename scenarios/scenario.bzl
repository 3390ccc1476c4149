"""scenario_tests(): every scenario file a Bazel test.

Each `*.scn` below the package becomes an sh_test named after its path
without the extension (for example `//scenarios:clone6/stack-always-read`)
that replays it under every profile and ABI it names, twice, with
`forksim run --check-determinism`.
"""

def scenario_tests(srcs):
    for src in srcs:
        native.sh_test(
            name = src[:-len(".scn")],
            srcs = ["run_scenario.sh"],
            args = [
                "$(location //sim/tools:forksim)",
                "$(location %s)" % src,
            ],
            data = [
                "//sim/tools:forksim",
                src,
            ],
            size = "small",
        )
