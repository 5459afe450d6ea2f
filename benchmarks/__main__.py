"""Run every benchmark in turn."""

from benchmarks import bench_decode, bench_receiver

if __name__ == "__main__":
    import sys

    print("== HJ 212 decode ==", flush=True)
    bench_decode.main()
    print("\n== receiver end to end ==", flush=True)
    sys.argv = [sys.argv[0]]
    bench_receiver.main()
