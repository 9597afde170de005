using Sundown.Cli;

// First, before anything opens a file: closed descriptors 0-2 back on /dev/null.
var usable = StandardStreams.ReopenClosedOnDevNull();
StandardStreams.MakeWritersFailSafe(usable);
return SundownCli.Run(args, Console.Out, Console.Error);
