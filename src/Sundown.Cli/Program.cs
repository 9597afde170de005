using Sundown.Cli;

return SundownCli.Run(args, Console.Out, Console.Error);
