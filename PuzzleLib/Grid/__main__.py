"""``python -m PuzzleLib.Grid -n N script.py [args]`` (or ``-n N -m module [args]``): run the
script in N processes with mpiexec (the MPICH wheel's, or the one on PATH); when a rank raises
or dies the job ends, and a last line names the rank (mpiexec alone names only a PID)."""
import sys

USAGE = "usage: python -m PuzzleLib.Grid -n N script.py [args]   (or -n N -m module [args])"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[0] not in ("-n", "--np") or not argv[1].isdigit() or int(argv[1]) < 1:
        sys.stderr.write(USAGE + "\n")
        return 2
    from PuzzleLib.Grid._launch import launchScript
    return launchScript(int(argv[1]), argv[2:])


if __name__ == "__main__":
    sys.exit(main())
