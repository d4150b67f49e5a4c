using System.Net;
using Wharf.Ssh.Server;

namespace Wharf.Ssh.Tests.Server;

/// <summary>
/// Admission before login, as OpenSSH's MaxStartups start:rate:full: nobody is dropped below start, a new
/// connection is dropped with a probability rising from rate% to 100% between start and full, and everyone is
/// refused at full or at the per-source cap. The random source is injected, so the curve is measured exactly.
/// </summary>
public class ConnectionAdmissionTests
{
    private static IPEndPoint Source(int i) => new(new IPAddress([10, 0, (byte)(i / 250), (byte)(i % 250 + 1)]), 40000);

    private static int NeverAsked(int max) => throw new InvalidOperationException("the random source was consulted");

    [Fact]
    public void TheDropProbabilityRisesLinearlyFromRateAtStartToAllAtFull()
    {
        var next = 99; // 99 is below every probability under 100%: filling never drops
        var admission = new ConnectionAdmission(start: 10, rate: 30, full: 20, maxPerSource: 100, random: _ => next);
        var dropsAt = new Dictionary<int, int>();
        for (var n = 10; n < 20; n++)
        {
            while (admission.Unauthenticated < n)
            {
                next = 99;
                Assert.NotNull(admission.TryEnter(Source(admission.Unauthenticated)));
            }
            var drops = 0;
            for (next = 0; next < 100; next++)
            {
                var ticket = admission.TryEnter(Source(1000));
                if (ticket is null) drops++;
                else ticket.Release();
            }
            dropsAt[n] = drops;
        }
        // Percent dropped with n connections waiting: 30 + 70 * (n - 10) / 10, as sshd computes it.
        Assert.Equal(new Dictionary<int, int>
        {
            [10] = 30, [11] = 37, [12] = 44, [13] = 51, [14] = 58, [15] = 65, [16] = 72, [17] = 79, [18] = 86, [19] = 93,
        }, dropsAt);
    }

    [Fact]
    public void BelowStartNobodyIsDroppedAndTheRandomSourceIsNotConsulted()
    {
        var admission = new ConnectionAdmission(start: 10, rate: 30, full: 20, maxPerSource: 100, random: NeverAsked);
        for (var i = 0; i < 10; i++) Assert.NotNull(admission.TryEnter(Source(i)));
        Assert.Equal(10, admission.Unauthenticated);
    }

    [Fact]
    public void ConnectionsPastFullAreAlwaysRefusedFromAnyAddress()
    {
        // 99 admits every connection the curve might drop: at full, refusal does not depend on chance.
        var admission = new ConnectionAdmission(start: 2, rate: 30, full: 4, maxPerSource: 100, random: _ => 99);
        var tickets = Enumerable.Range(0, 4).Select(i => admission.TryEnter(Source(i))).ToList();
        Assert.All(tickets, Assert.NotNull);
        for (var i = 0; i < 50; i++) Assert.Null(admission.TryEnter(Source(100 + i)));
        Assert.Equal(4, admission.Unauthenticated);

        // A slot frees when a connection logs in or leaves; below full, admission resumes.
        tickets[0]!.Release();
        tickets[0]!.Release(); // given back once only
        Assert.Equal(3, admission.Unauthenticated);
        Assert.NotNull(admission.TryEnter(Source(200)));
    }

    [Fact]
    public void ThePerSourceCapStillAppliesBelowStart()
    {
        var admission = new ConnectionAdmission(start: 100, rate: 30, full: 200, maxPerSource: 2, random: NeverAsked);
        Assert.NotNull(admission.TryEnter(Source(1)));
        Assert.NotNull(admission.TryEnter(Source(1)));
        Assert.Null(admission.TryEnter(Source(1)));
        Assert.NotNull(admission.TryEnter(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.3"), 1))); // another source (IPv4-mapped is the same as 10.0.0.3)
        Assert.NotNull(admission.TryEnter(Source(2)));
        Assert.Null(admission.TryEnter(Source(2)));
    }

    [Theory]
    [InlineData("256:30:1024", 256, 30, 1024)]
    [InlineData("10:30:100", 10, 30, 100)]
    [InlineData("50", 50, 100, 50)]
    public void MaxStartupsIsReadAsStartRateFull(string text, int start, int rate, int full) =>
        Assert.Equal((start, rate, full), SshServerOptions.ParseMaxStartups(text));

    [Theory]
    [InlineData("")]
    [InlineData("10:30")]
    [InlineData("100:30:10")]
    [InlineData("10:0:100")]
    [InlineData("10:101:100")]
    [InlineData("0:30:100")]
    [InlineData("10:30:2000000")]
    [InlineData("-1")]
    [InlineData("10 : 30 : 100")]
    public void AMalformedMaxStartupsIsRefused(string text) => Assert.Null(SshServerOptions.ParseMaxStartups(text));
}
