"""``puzzlelib serve``: the workbench as a live web page (PuzzleLib/Web), started from the command line."""


def addParser(sub):
    serve = sub.add_parser(
        "serve", allow_abbrev=False, help="the workbench as a live web page",
        description="Start a local web page that restores functions while you watch: type a formula (or upload a "
                    "CSV), press Start, and see the net's curve, the error per epoch and each neuron's term move. "
                    "Every run is kept while the server runs; tick two or more to compare them, and download any "
                    "run's model.h5, metrics.json and restore.png. Needs the web extra: "
                    "pip install 'puzzlelib[web]'.",
        epilog="examples:\n  puzzlelib serve --open\n  puzzlelib serve --port 9000 --max-runs 1",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only; another one is warned about)")
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument("--max-runs", type=int, default=2, metavar="N",
                       help="runs that train at once (default 2); later ones wait in a queue")
    serve.add_argument("--open", action="store_true", help="open the page in a browser")
    serve.add_argument("--backend", choices=("cpu", "cuda", "auto"), default=None,
                       help="array backend of the runs (default: PUZZLELIB_BACKEND, else auto)")
    return serve


def run(args, prog, UsageError):
    import importlib.util
    import sys

    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError("needs the web extra (%s missing): pip install 'puzzlelib[web]'" % ", ".join(missing))
    if not 0 < args.port < 65536:
        raise UsageError("--port: expected 1 to 65535, got %d" % args.port)
    if args.max_runs < 1:
        raise UsageError("--max-runs: expected a whole number >= 1, got %d" % args.max_runs)
    from PuzzleLib.Web.server import serve

    try:
        serve(host=args.host, port=args.port, maxRunning=args.max_runs, openBrowser=args.open,
              say=lambda text: print(text, file=sys.stderr))
    except OSError as e:
        raise UsageError("cannot listen on %s:%d: %s" % (args.host, args.port, e.strerror or e)) from None
    return 0
