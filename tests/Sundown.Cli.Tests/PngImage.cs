using System.Buffers.Binary;
using System.IO.Compression;

namespace Sundown.Cli.Tests;

/// <summary>
/// Just enough of a PNG decoder to look at a screenshot's pixels: 8-bit RGB or RGBA,
/// non-interlaced, which is what Chromium writes.
/// </summary>
internal sealed class PngImage
{
    private PngImage(int width, int height, byte[] rgb)
    {
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    internal int Width { get; }

    internal int Height { get; }

    /// <summary>Three bytes a pixel, row by row.</summary>
    internal byte[] Rgb { get; }

    internal static PngImage Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        int offset = 8, width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        while (offset < file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(offset));
            string type = System.Text.Encoding.ASCII.GetString(file, offset + 4, 4);
            var data = file.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0 || data[9] is not (2 or 6))
                {
                    throw new NotSupportedException($"PNG with bit depth {data[8]}, colour type {data[9]}, interlace {data[12]}");
                }

                channels = data[9] == 6 ? 4 : 3;
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            offset += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        return new PngImage(width, height, Unfilter(inflated.ToArray(), width, height, channels));
    }

    /// <summary>How many pixels differ from the colour of the top-left pixel (the background).</summary>
    internal int PixelsUnlikeBackground()
    {
        int count = 0;
        for (int i = 0; i < Rgb.Length; i += 3)
        {
            if (Rgb[i] != Rgb[0] || Rgb[i + 1] != Rgb[1] || Rgb[i + 2] != Rgb[2])
            {
                count++;
            }
        }

        return count;
    }

    internal int DistinctColours() =>
        Enumerable.Range(0, Rgb.Length / 3).Select(p => (Rgb[p * 3] << 16) | (Rgb[(p * 3) + 1] << 8) | Rgb[(p * 3) + 2]).Distinct().Count();

    private static byte[] Unfilter(byte[] data, int width, int height, int channels)
    {
        int stride = width * channels;
        var current = new byte[stride];
        var previous = new byte[stride];
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int filter = data[y * (stride + 1)];
            Array.Copy(data, (y * (stride + 1)) + 1, current, 0, stride);
            for (int x = 0; x < stride; x++)
            {
                int left = x >= channels ? current[x - channels] : 0;
                int up = previous[x];
                int upLeft = x >= channels ? previous[x - channels] : 0;
                current[x] = (byte)(current[x] + filter switch
                {
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => 0,
                });
            }

            for (int x = 0; x < width; x++)
            {
                Array.Copy(current, x * channels, rgb, ((y * width) + x) * 3, 3);
            }

            (previous, current) = (current, previous);
        }

        return rgb;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
