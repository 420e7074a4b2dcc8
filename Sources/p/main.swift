import PCLI

await PMain.run()
