using Sundown.Cli;

// First, before anything opens a file: closed descriptors 0-2 back on /dev/null.
StandardStreams.ReopenClosedOnDevNull();
StandardStreams.MakeWritersFailSafe();
return SundownCli.Run(args, Console.Out, Console.Error);
