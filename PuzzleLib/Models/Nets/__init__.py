"""Model builders: functions that build PuzzleLib 1.0's nets (and load their files when given a
path). SentiNet's ``buildNet`` is imported by module path (``PuzzleLib.Models.Nets.SentiNet``)."""
from PuzzleLib.Models.Nets.Inception import loadInceptionBN, loadInceptionV3
from PuzzleLib.Models.Nets.LeNet import loadLeNet
from PuzzleLib.Models.Nets.MiniYolo import loadMiniYolo
from PuzzleLib.Models.Nets.NiN import loadNiNImageNet
from PuzzleLib.Models.Nets.OpenPose import loadCOCO, loadMPI
from PuzzleLib.Models.Nets.ResNet import loadResNet
from PuzzleLib.Models.Nets.UNet import loadUNet
from PuzzleLib.Models.Nets.VGG import loadVGG
from PuzzleLib.Models.Nets.WaveToLetter import loadW2L
